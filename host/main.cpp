#include "cli/cli.hpp"

int main(int argc, char** argv) { return butter::host::cli_main(argc, argv); }
