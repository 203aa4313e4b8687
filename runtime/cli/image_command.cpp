// dkr image: runs the dkr-image helper, which carries libarchive, libcurl and
// OpenSSL so that dkr itself does not (runtime/image/CMakeLists.txt).
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/cli/cli.hpp"
#include "runtime/error.hpp"

namespace dkr::cli {

namespace {

constexpr const char* kHelper = "dkr-image";

// dkr-image beside this binary (the build tree, an install), else from PATH.
std::string helper_path() {
    char self[PATH_MAX];
    if (::realpath("/proc/self/exe", self)) {
        std::string beside = self;
        beside = beside.substr(0, beside.rfind('/') + 1) + kHelper;
        if (::access(beside.c_str(), X_OK) == 0) return beside;
    }
    return kHelper;
}

}  // namespace

int cmd_image(const Invocation& inv) {
    std::vector<std::string> args = {kHelper};
    if (!inv.globals.log_path.empty()) args.insert(args.end(), {"--log", inv.globals.log_path});
    if (inv.globals.log_format == LogFormat::Json) args.insert(args.end(), {"--log-format", "json"});
    if (inv.globals.debug) args.push_back("--debug");
    args.insert(args.end(), inv.args.begin(), inv.args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string path = helper_path();
    ::execvp(path.c_str(), argv.data());
    throw sys_error("run", std::string(kHelper) + " (dkr's image helper; build it beside dkr)", errno);
}

}  // namespace dkr::cli
