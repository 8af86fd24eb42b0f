/* The myelin command: dispatch to subcommands. With no arguments, run the built-in example. */
#include "cli.h"

#include "myl_config.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "myelin %s - event-driven simulation of spiking neural networks on neuromorphic "
            "hardware\n"
            "\n"
            "Usage: myelin [COMMAND] [ARGS]\n"
            "\n"
            "Commands:\n"
            "  run [NET.yaml]       simulate a network and record results (default command)\n"
            "  compare NET.yaml     run the event and dense engines, check they agree, compare "
            "work\n"
            "  map NET.yaml --hw H  place a network on a chip's cores and show how it fits\n"
            "  hw list|show NAME    the hardware models and their figures\n"
            "  trace info|convert   look into event streams and convert them\n"
            "  help                 this text\n"
            "  version              print the version\n"
            "\n"
            "'myelin COMMAND --help' describes each command. With no command, myelin runs its\n"
            "built-in demo on Loihi: a recorded bar sweeping across a 32x32 event camera,\n"
            "direction told apart by synaptic delays; results go to ./myelin.db.\n",
            MYL_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        /* the demo: the built-in network and trace, on Loihi */
        static char a0[] = "myelin run", a1[] = "--hw", a2[] = "loihi";
        char *args[] = {a0, a1, a2, NULL};
        return cmd_run(3, args);
    }
    const char *cmd = argv[1];
    /* getopt names the program by argv[0] in its messages: make it "myelin run" */
    static char run_name[] = "myelin run", compare_name[] = "myelin compare";
    if (strcmp(cmd, "run") == 0) {
        argv[1] = run_name;
        return cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "compare") == 0) {
        argv[1] = compare_name;
        return cmd_compare(argc - 1, argv + 1);
    }
    static char map_name[] = "myelin map";
    if (strcmp(cmd, "map") == 0) {
        argv[1] = map_name;
        return cmd_map(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "hw") == 0)
        return cmd_hw(argc - 1, argv + 1);
    if (strcmp(cmd, "trace") == 0)
        return cmd_trace(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("myelin %s\n", MYL_VERSION);
        return EXIT_OK;
    }
    if (cmd[0] == '-' || strstr(cmd, ".yaml") || strstr(cmd, ".yml"))
        return cmd_run(argc, argv); /* `myelin net.yaml --ticks 10` means run */
    fprintf(stderr, "myelin: unknown command '%s'\nTry 'myelin help'.\n", cmd);
    return EXIT_USAGE;
}
