/* The other end of myelin's live streams, for tests/cli/live.sh (Debian's minimal image has no
 * socat or nc, and the shell cannot open Unix sockets):
 *
 *   live-peer send ADDRESS FILE [CHUNK]  connect, send FILE in CHUNK-byte pieces (default 1000)
 *                                        with a 1 ms pause after each, then close
 *   live-peer recv ADDRESS FILE          connect, copy what arrives into FILE until the end
 *   live-peer hangup ADDRESS             connect and close at once
 *
 * ADDRESS is tcp://HOST:PORT (an IPv4 address) or unix:PATH. myelin listens: the connection is
 * retried for up to 10 s while it starts. Exit status 0, or 1 with a message. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int dial_once(const char *addr)
{
    int fd = -1;
    if (strncmp(addr, "tcp://", 6) == 0) {
        char host[256];
        const char *colon = strrchr(addr + 6, ':');
        size_t hl = colon ? (size_t)(colon - (addr + 6)) : 0;
        if (!colon || hl >= sizeof host)
            return -2;
        memcpy(host, addr + 6, hl);
        host[hl] = 0;
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((unsigned short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
            return -2;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
    } else if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un su;
        memset(&su, 0, sizeof su);
        su.sun_family = AF_UNIX;
        if (strlen(addr + 5) >= sizeof su.sun_path)
            return -2;
        strcpy(su.sun_path, addr + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&su, sizeof su) != 0) {
            close(fd);
            fd = -1;
        }
    } else {
        return -2;
    }
    return fd;
}

static int dial(const char *addr)
{
    for (int i = 0; i < 1000; i++) {
        int fd = dial_once(addr);
        if (fd >= 0)
            return fd;
        if (fd == -2) {
            fprintf(stderr, "live-peer: %s: not tcp://IPv4:PORT or unix:PATH\n", addr);
            exit(1);
        }
        nap_ms(10);
    }
    fprintf(stderr, "live-peer: %s: cannot connect: %s\n", addr, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "hangup") == 0) {
        close(dial(argv[2]));
        return 0;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: live-peer send ADDRESS FILE [CHUNK] | recv ADDRESS FILE | "
                        "hangup ADDRESS\n");
        return 1;
    }
    int send = strcmp(argv[1], "send") == 0;
    FILE *f = fopen(argv[3], send ? "rb" : "wb");
    if (!f) {
        fprintf(stderr, "live-peer: %s: %s\n", argv[3], strerror(errno));
        return 1;
    }
    int fd = dial(argv[2]);
    static char buf[1 << 16];
    if (send) {
        size_t chunk = argc > 4 ? (size_t)atol(argv[4]) : 1000;
        if (chunk == 0 || chunk > sizeof buf)
            chunk = 1000;
        size_t k;
        while ((k = fread(buf, 1, chunk, f)) > 0) {
            for (size_t o = 0; o < k;) {
                ssize_t w = write(fd, buf + o, k - o);
                if (w <= 0) {
                    fprintf(stderr, "live-peer: %s: write: %s\n", argv[2], strerror(errno));
                    return 1;
                }
                o += (size_t)w;
            }
            nap_ms(1);
        }
    } else {
        ssize_t k;
        while ((k = read(fd, buf, sizeof buf)) > 0)
            if (fwrite(buf, 1, (size_t)k, f) != (size_t)k) {
                fprintf(stderr, "live-peer: %s: %s\n", argv[3], strerror(errno));
                return 1;
            }
    }
    close(fd);
    return fclose(f) == 0 ? 0 : 1;
}
