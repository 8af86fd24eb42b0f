/* Build-time tool: turn a file into a C source defining
 *   const char NAME[]; const unsigned long NAME_len;
 * so the myelin binary carries its default network (and trace) without reading files. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s NAME INPUT OUTPUT\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[2], "rb");
    if (!in) {
        perror(argv[2]);
        return 1;
    }
    FILE *out = fopen(argv[3], "w");
    if (!out) {
        perror(argv[3]);
        return 1;
    }
    fprintf(out, "/* generated from %s */\n", argv[2]);
    fprintf(out, "const unsigned char %s[] = {", argv[1]);
    unsigned long n = 0;
    int c;
    while ((c = fgetc(in)) != EOF) {
        fprintf(out, "%s%d,", n % 24 ? "" : "\n", c);
        n++;
    }
    fprintf(out, "0};\nconst unsigned long %s_len = %luul;\n", argv[1], n);
    if (ferror(in) || fclose(out)) {
        perror("embed");
        return 1;
    }
    fclose(in);
    return 0;
}
