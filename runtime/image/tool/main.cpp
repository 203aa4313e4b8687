// dkr-image: the image commands, in a dynamically linked helper that `dkr
// image` execs (see runtime/image/CMakeLists.txt for why). Progress goes to
// stdout, as with docker and skopeo; stderr carries only an error.
//   dkr-image [--log FILE] [--log-format text|json] [--debug] unpack|pull ...
#include <unistd.h>

#include <iostream>

#include "runtime/cli/options.hpp"
#include "runtime/error.hpp"
#include "runtime/image/pull.hpp"
#include "runtime/image/unpack.hpp"

namespace dkr::cli {
namespace {

int unpack(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()
        ("ref", po::value<std::string>()->default_value(""), "the image to take when SRC holds several: its "
                                                            "org.opencontainers.image.ref.name, or a docker save RepoTag")
        ("quiet,q", po::bool_switch(), "print nothing while unpacking");
    Parsed p = parse_command(inv, "image unpack", "[command options] <image-layout|docker-save-archive> <bundle>", d,
                             2, 2);
    if (p.help) return 0;
    image::UnpackOptions o{p.positional[0], p.positional[1], p.vm["ref"].as<std::string>(),
                           p.vm["quiet"].as<bool>() ? nullptr : &std::cout};
    image::unpack(o);
    return 0;
}

int pull(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()
        ("creds", po::value<std::string>(), "USER:PASSWORD for the registry (default: anonymous)")
        ("plain-http", po::bool_switch(), "talk HTTP, not HTTPS, to the registry (a local test registry)")
        ("quiet,q", po::bool_switch(), "print no progress");
    Parsed p = parse_command(inv, "image pull", "[command options] <reference> <image-layout-dir>", d, 2, 2);
    if (p.help) return 0;
    image::PullOptions o;
    o.reference = p.positional[0];
    o.layout_dir = p.positional[1];
    o.plain_http = p.vm["plain-http"].as<bool>();
    if (p.vm.count("creds")) {
        std::string c = p.vm["creds"].as<std::string>();
        auto colon = c.find(':');
        if (colon == std::string::npos) throw UsageError("dkr image pull: --creds must be USER:PASSWORD");
        o.credentials = image::Credentials{c.substr(0, colon), c.substr(colon + 1)};
    }
    if (!p.vm["quiet"].as<bool>()) o.progress = &std::cout;
    o.progress_tty = ::isatty(1);
    image::pull(o);
    return 0;
}

void usage() {
    std::cout << "Usage: dkr image <command> [command options] [arguments...]\n\nCommands:\n"
                 "   unpack    make a bundle (rootfs + config.json) from an OCI image layout or a docker save archive\n"
                 "   pull      fetch an image from a registry into an OCI image layout\n";
}

int run(std::vector<std::string> args, const Logger*& log, Logger& logger) {
    Globals g;
    std::string format = "text";
    size_t i = 0;
    for (; i < args.size() && args[i].starts_with("--"); ++i) {
        if (args[i] == "--debug") {
            g.debug = true;
        } else if ((args[i] == "--log" || args[i] == "--log-format") && i + 1 < args.size()) {
            (args[i] == "--log" ? g.log_path : format) = args[i + 1];
            ++i;
        } else {
            break;
        }
    }
    if (format != "text" && format != "json") throw UsageError("dkr: invalid log format \"" + format + "\"");
    g.log_format = format == "json" ? LogFormat::Json : LogFormat::Text;
    logger = Logger(g.log_path, g.log_format, g.debug);
    log = &logger;
    if (i == args.size() || args[i] == "--help" || args[i] == "-h") {
        usage();
        if (i == args.size()) throw UsageError("dkr image: a command is required");
        return 0;
    }
    Invocation inv{g, logger, std::vector<std::string>(args.begin() + static_cast<long>(i) + 1, args.end())};
    if (args[i] == "unpack") return unpack(inv);
    if (args[i] == "pull") return pull(inv);
    throw UsageError("dkr image: unknown command \"" + args[i] + "\"");
}

}  // namespace
}  // namespace dkr::cli

int main(int argc, char** argv) {
    dkr::Logger fallback, logger;
    const dkr::Logger* log = &fallback;
    try {
        return dkr::cli::run(std::vector<std::string>(argv + 1, argv + argc), log, logger);
    } catch (const std::exception& e) {
        log->log(dkr::LogLevel::Error, e.what());
        if (log->to_file()) std::cerr << e.what() << "\n";
        return 1;
    }
}
