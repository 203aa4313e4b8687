#include "runtime/seccomp_agent.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/fd_passing.hpp"

namespace dkr {
namespace {

std::string process_state_json(const spec::Seccomp& seccomp, const OciState& state, pid_t pid) {
    rapidjson::Document inner;
    inner.Parse(oci_state_json(state, false).c_str());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("ociVersion");
    w.String(kOciVersion);
    w.Key("fds");
    w.StartArray();
    w.String("seccompFd");
    w.EndArray();
    w.Key("pid");
    w.Int(pid);
    w.Key("metadata");
    w.String(seccomp.listener_metadata.c_str(), static_cast<rapidjson::SizeType>(seccomp.listener_metadata.size()));
    w.Key("state");
    inner.Accept(w);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

void send_to_seccomp_agent(const spec::Seccomp& seccomp, int notify_fd, const OciState& state, pid_t pid) {
    const std::string& path = seccomp.listener_path;
    try {
        sys::Fd sock = sys::connect_unix(path);

        std::string payload = process_state_json(seccomp, state, pid);
        size_t n = sys::send_with_fd(sock.get(), payload, notify_fd, path);
        if (n != payload.size()) throw Error("short write to " + path, EIO);
    } catch (...) {
        rethrow_with("send the seccomp notify fd to the agent at linux.seccomp.listenerPath");
    }
}

}  // namespace dkr
