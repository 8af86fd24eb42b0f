/* myelin hw: the hardware models myelin knows, and everything one of them says. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "Usage: myelin hw list\n"
               "       myelin hw show NAME|FILE\n"
               "\n"
               "List the hardware models (hw_models/ and $MYELIN_HW_PATH), or show one with every\n"
               "figure and its source. A FILE may be a myelin hardware model or a SANA-FE\n"
               "architecture file.\n");
}

int cmd_hw(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    myl_diag d = {0};
    if (strcmp(argv[1], "list") == 0 && argc == 2) {
        char **names;
        size_t n;
        int rc = myl_hw_names(&names, &n);
        if (rc) {
            cli_error(NULL, rc, "listing hardware models");
            return EXIT_RUNTIME;
        }
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            myl_hw *hw;
            myl_diag_clear(&d);
            if ((rc = myl_hw_load(names[i], &hw, &d))) {
                cli_error(&d, rc, names[i]);
                bad = 1;
                continue;
            }
            myl_hw_summary(hw, stdout);
            myl_hw_free(hw);
        }
        myl_hw_names_free(names, n);
        return bad ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "show") == 0 && argc == 3) {
        myl_hw *hw;
        int rc = myl_hw_load(argv[2], &hw, &d);
        if (rc) {
            cli_error(&d, rc, argv[2]);
            return cli_exit_code(rc);
        }
        myl_hw_describe(hw, stdout);
        myl_hw_free(hw);
        return EXIT_OK;
    }
    usage(stderr);
    return EXIT_USAGE;
}
