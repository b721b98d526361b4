// The `butter` command line: run, check, inspect (and --help for each).
#pragma once

namespace butter::host {

int cli_main(int argc, char** argv);

int run_command(int argc, char** argv);      // butter run [FILE] [options]
int dev_command(int argc, char** argv);      // butter dev [FILE] [options]
int demo_command(int argc, char** argv);     // butter demo [N] [FILE] [options]
int check_command(int argc, char** argv);    // butter check FILE
int inspect_command(int argc, char** argv);  // butter inspect PLUGIN.so
int new_plugin_command(int argc, char** argv);
// Files through a running node's local HTTP API (file_commands.cpp).
int put_command(int argc, char** argv);     // butter put FILE [--keywords a,b] [--node URL]
int get_command(int argc, char** argv);     // butter get ID [-o FILE] [--node URL]
int cat_command(int argc, char** argv);     // butter cat ID [--node URL]
int search_command(int argc, char** argv);  // butter search WORD... [--node URL]  // butter new-plugin NAME [--lang
                                            // c|cpp] [--provides IFACE] [--dir DIR]

}  // namespace butter::host
