// dkr: main, the one place errors are printed.
#include <iostream>

#include "runtime/cli/cli.hpp"

int main(int argc, char** argv) {
    using namespace dkr::cli;
    std::vector<std::string> args(argv + 1, argv + argc);
    Globals globals;
    dkr::Logger fallback;
    dkr::Logger logger;
    const dkr::Logger* log = &fallback;
    try {
        return dispatch(argv, args, globals, log, logger);
    } catch (const std::exception& e) {
        // As runc: with --log the line goes to the file and the bare message to
        // stderr; without it, the formatted line goes to stderr.
        log->log(dkr::LogLevel::Error, e.what());
        if (log->to_file()) std::cerr << e.what() << "\n";
        const auto* status = dynamic_cast<const StatusError*>(&e);
        return status ? status->status : 1;
    }
}
