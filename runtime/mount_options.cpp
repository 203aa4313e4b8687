#include "runtime/mount_options.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <string_view>

namespace dkr {
namespace {

struct FlagOption {
    const char* name;
    bool clear;  // true: the option turns the flag off
    unsigned long flag;
};

constexpr FlagOption kFlags[] = {
    {"async", true, MS_SYNCHRONOUS},   {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},          {"defaults", false, 0},
    {"dev", true, MS_NODEV},           {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION}, {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},         {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME}, {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION}, {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},     {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC}, {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},           {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME}, {"suid", true, MS_NOSUID},
    {"symfollow", true, MS_NOSYMFOLLOW},          {"sync", false, MS_SYNCHRONOUS},
};

struct PropagationOption {
    const char* name;
    unsigned long flag;
};

constexpr PropagationOption kPropagation[] = {
    {"private", MS_PRIVATE},          {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},            {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},              {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},    {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct RecursiveOption {
    const char* name;
    bool clear;
    uint64_t attr;
};

constexpr RecursiveOption kRecursive[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},          {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},      {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},        {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},      {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},  {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

struct FlagName {
    unsigned long flag;
    const char* name;
};

constexpr FlagName kFlagNames[] = {
    {MS_RDONLY, "MS_RDONLY"},       {MS_NOSUID, "MS_NOSUID"},         {MS_NODEV, "MS_NODEV"},
    {MS_NOEXEC, "MS_NOEXEC"},       {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {MS_REMOUNT, "MS_REMOUNT"},
    {MS_MANDLOCK, "MS_MANDLOCK"},   {MS_DIRSYNC, "MS_DIRSYNC"},       {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
    {MS_NOATIME, "MS_NOATIME"},     {MS_NODIRATIME, "MS_NODIRATIME"}, {MS_BIND, "MS_BIND"},
    {MS_MOVE, "MS_MOVE"},           {MS_REC, "MS_REC"},               {MS_SILENT, "MS_SILENT"},
    {MS_UNBINDABLE, "MS_UNBINDABLE"}, {MS_PRIVATE, "MS_PRIVATE"},     {MS_SLAVE, "MS_SLAVE"},
    {MS_SHARED, "MS_SHARED"},       {MS_RELATIME, "MS_RELATIME"},     {MS_I_VERSION, "MS_I_VERSION"},
    {MS_STRICTATIME, "MS_STRICTATIME"}, {MS_LAZYTIME, "MS_LAZYTIME"},
};

template <typename Table>
auto find(const Table& table, std::string_view name) -> decltype(&table[0]) {
    for (const auto& entry : table)
        if (name == entry.name) return &entry;
    return nullptr;
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& opt : options) {
        if (const auto* f = find(kFlags, opt)) {
            if (f->clear) {
                out.flags &= ~f->flag;
                out.clear |= f->flag;
            } else {
                out.flags |= f->flag;
                out.clear &= ~f->flag;
            }
        } else if (const auto* p = find(kPropagation, opt)) {
            out.propagation.push_back(p->flag);
        } else if (const auto* r = find(kRecursive, opt)) {
            (r->clear ? out.recursive_set : out.recursive_clear) &= ~r->attr;
            (r->clear ? out.recursive_clear : out.recursive_set) |= r->attr;
        } else if (opt == "tmpcopyup") {
            out.tmpcopyup = true;
        } else if (opt == "idmap" || opt == "ridmap") {
            // Handled by prepare_idmapped_mounts.

        } else {
            if (!out.data.empty()) out.data += ',';
            out.data += opt;
        }
    }
    return out;
}

std::string mount_flag_names(unsigned long flags) {
    std::string out;
    for (const auto& f : kFlagNames)
        if (flags & f.flag) out += (out.empty() ? "" : "|") + std::string(f.name);
    return out.empty() ? "0" : out;
}

std::vector<std::string> known_mount_options() {
    std::vector<std::string> names;
    for (const auto& f : kFlags) names.emplace_back(f.name);
    for (const auto& p : kPropagation) names.emplace_back(p.name);
    for (const auto& r : kRecursive) names.emplace_back(r.name);
    names.emplace_back("tmpcopyup");
    names.emplace_back("idmap");
    names.emplace_back("ridmap");
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace dkr
