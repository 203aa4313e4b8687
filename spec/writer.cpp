#include "spec/writer.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <vector>

namespace dkr::spec {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The overloads of put() write one model value, mirroring the loader's read().

void put(Writer& w, const std::string& s) { w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size())); }
void put(Writer& w, bool b) { w.Bool(b); }
void put(Writer& w, int v) { w.Int(v); }
void put(Writer& w, unsigned v) { w.Uint(v); }
void put(Writer& w, uint64_t v) { w.Uint64(v); }
// Declared before the templates below, which call them for elements and members.
void put(Writer& w, const ConsoleSize& c);
void put(Writer& w, const User& u);
void put(Writer& w, const Capabilities& c);
void put(Writer& w, const Rlimit& r);
void put(Writer& w, const IoPriority& p);
void put(Writer& w, const Scheduler& s);
void put(Writer& w, const Hook& h);

template <typename T>
void put(Writer& w, const std::vector<T>& v) {
    w.StartArray();
    for (const auto& item : v) put(w, item);
    w.EndArray();
}

template <typename T>
void field(Writer& w, const char* name, const T& value) {
    w.Key(name);
    put(w, value);
}

template <typename T>
void field(Writer& w, const char* name, const std::optional<T>& value) {
    if (value) field(w, name, *value);
}

template <typename T>
void list_field(Writer& w, const char* name, const std::vector<T>& value) {
    if (!value.empty()) field(w, name, value);
}

void put(Writer& w, const ConsoleSize& c) {
    w.StartObject();
    field(w, "height", c.height);
    field(w, "width", c.width);
    w.EndObject();
}

void put(Writer& w, const User& u) {
    w.StartObject();
    field(w, "uid", u.uid);
    field(w, "gid", u.gid);
    field(w, "umask", u.umask);
    list_field(w, "additionalGids", u.additional_gids);
    if (!u.username.empty()) field(w, "username", u.username);
    w.EndObject();
}

void put(Writer& w, const Capabilities& c) {
    w.StartObject();
    field(w, "bounding", c.bounding);
    field(w, "effective", c.effective);
    field(w, "inheritable", c.inheritable);
    field(w, "permitted", c.permitted);
    field(w, "ambient", c.ambient);
    w.EndObject();
}

void put(Writer& w, const Rlimit& r) {
    w.StartObject();
    field(w, "type", r.type);
    field(w, "soft", r.soft);
    field(w, "hard", r.hard);
    w.EndObject();
}

void put(Writer& w, const IoPriority& p) {
    w.StartObject();
    field(w, "class", p.io_class);
    field(w, "priority", p.priority);
    w.EndObject();
}

void put(Writer& w, const Scheduler& s) {
    w.StartObject();
    field(w, "policy", s.policy);
    field(w, "nice", s.nice);
    field(w, "priority", s.priority);
    list_field(w, "flags", s.flags);
    field(w, "runtime", s.runtime);
    field(w, "deadline", s.deadline);
    field(w, "period", s.period);
    w.EndObject();
}

void put(Writer& w, const Process& p) {
    w.StartObject();
    field(w, "terminal", p.terminal);
    field(w, "consoleSize", p.console_size);
    field(w, "user", p.user);
    field(w, "args", p.args);
    field(w, "commandLine", p.command_line);
    list_field(w, "env", p.env);
    field(w, "cwd", p.cwd);
    field(w, "capabilities", p.capabilities);
    list_field(w, "rlimits", p.rlimits);
    field(w, "noNewPrivileges", p.no_new_privileges);
    field(w, "apparmorProfile", p.apparmor_profile);
    field(w, "oomScoreAdj", p.oom_score_adj);
    field(w, "selinuxLabel", p.selinux_label);
    field(w, "ioPriority", p.io_priority);
    field(w, "scheduler", p.scheduler);
    w.EndObject();
}

void put(Writer& w, const Hook& h) {
    w.StartObject();
    field(w, "path", h.path);
    list_field(w, "args", h.args);
    list_field(w, "env", h.env);
    field(w, "timeout", h.timeout);
    w.EndObject();
}

void put(Writer& w, const Hooks& h) {
    w.StartObject();
    list_field(w, "prestart", h.prestart);
    list_field(w, "createRuntime", h.create_runtime);
    list_field(w, "createContainer", h.create_container);
    list_field(w, "startContainer", h.start_container);
    list_field(w, "poststart", h.poststart);
    list_field(w, "poststop", h.poststop);
    w.EndObject();
}

template <typename T>
std::string text(const T& value) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    put(w, value);
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string to_json(const Process& process) { return text(process); }
std::string to_json(const Hooks& hooks) { return text(hooks); }

}  // namespace dkr::spec
