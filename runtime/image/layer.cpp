#include "runtime/image/layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_set>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::image {

namespace {

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string child_of(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// rm -rf of `name` in `dirfd`, never following a symlink.
void remove_at(int dirfd, const std::string& name, const std::string& shown) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return;
        throw sys_error("stat", shown, errno);
    }
    if (S_ISDIR(st.st_mode)) {
        sys::Fd dir = sys::open_at(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        std::vector<std::string> children;
        DIR* d = ::fdopendir(::dup(dir.get()));
        if (!d) throw sys_error("opendir", shown, errno);
        while (dirent* e = ::readdir(d)) {
            std::string c = e->d_name;
            if (c != "." && c != "..") children.push_back(c);
        }
        ::closedir(d);
        for (const auto& c : children) remove_at(dir.get(), c, shown + "/" + c);
        if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0) throw sys_error("rmdir", shown, errno);
    } else if (::unlinkat(dirfd, name.c_str(), 0) < 0) {
        throw sys_error("unlink", shown, errno);
    }
}

// atime and mtime, as utimensat(2) takes them.
struct Times {
    timespec t[2];
};

struct DirTimes {
    std::string path;
    Times times;
};

// One layer's application: the paths it wrote (lower layers' whiteouts must
// not delete them) and the directory times to set once all entries are in.
class Applier {
public:
    Applier(int root_fd, LayerReader& layer) : root_(root_fd), layer_(layer) {}

    void run() {
        while (archive_entry* e = layer_.next()) {
            std::string path = clean_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
            try {
                apply(e, path);
            } catch (...) {
                rethrow_with(layer_.what() + ": /" + path);
            }
        }
        // Deepest first, so setting a directory's times is not undone by its children.
        for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
            sys::Fd d = security::open_in_root(root_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (::futimens(d.get(), it->times.t) < 0) throw sys_error("set times of", "/" + it->path, errno);
        }
    }

private:
    void apply(archive_entry* e, const std::string& path) {
        std::string base = base_of(path);
        if (base.starts_with(kWhiteout)) return whiteout(parent_of(path), base);
        if (path.empty()) return set_root(e);
        written_.insert(path);
        sys::Fd parent = security::mkdir_all_in_root(root_, parent_of(path), 0755);
        const char* hardlink = archive_entry_hardlink(e);
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFSOCK) return;  // sockets cannot be packed meaningfully; tar tools skip them too

        struct stat st;
        bool exists = ::fstatat(parent.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && !(type == AE_IFDIR && !hardlink && S_ISDIR(st.st_mode)))
            remove_at(parent.get(), base, "/" + path);

        int p = parent.get();
        if (hardlink) return link(p, base, clean_path(hardlink));
        switch (type) {
            case AE_IFDIR:
                if (!exists || !S_ISDIR(st.st_mode))
                    if (::mkdirat(p, base.c_str(), 0700) < 0) throw sys_error("mkdir", "/" + path, errno);
                {
                    sys::Fd d = sys::open_at(p, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                    set_owner_mode_xattrs(d.get(), e);
                }
                dir_times_.push_back({path, times_of(e)});
                return;
            case AE_IFREG: {
                sys::Fd f = sys::open_at(p, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
                write_data(f.get(), e);
                set_owner_mode_xattrs(f.get(), e);
                break;
            }
            case AE_IFLNK:
                if (::symlinkat(archive_entry_symlink(e), p, base.c_str()) < 0)
                    throw sys_error("symlink", "/" + path, errno);
                if (::fchownat(p, base.c_str(), archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
                    throw sys_error("chown", "/" + path, errno);
                break;
            case AE_IFCHR:
            case AE_IFBLK:
            case AE_IFIFO: {
                dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
                if (::mknodat(p, base.c_str(), type | 0600, dev) < 0) throw sys_error("mknod", "/" + path, errno);
                if (::fchownat(p, base.c_str(), archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
                    throw sys_error("chown", "/" + path, errno);
                // A node just made by us in a root-owned tree: no one can have swapped it for a symlink.
                if (::fchmodat(p, base.c_str(), archive_entry_perm(e), 0) < 0) throw sys_error("chmod", "/" + path, errno);
                break;
            }
            default:
                throw Error("unsupported file type " + std::to_string(type));
        }
        Times t = times_of(e);
        if (::utimensat(p, base.c_str(), t.t, AT_SYMLINK_NOFOLLOW) < 0) throw sys_error("set times of", "/" + path, errno);
    }

    // ".wh..wh..opq" empties `dir` of lower layers' entries; ".wh.NAME" deletes NAME.
    void whiteout(const std::string& dir, const std::string& base) {
        sys::Fd d;
        try {
            d = security::open_in_root(root_, dir, O_RDONLY | O_DIRECTORY);
        } catch (const Error& e) {
            if (e.code() == ENOENT || e.code() == ENOTDIR) return;  // nothing below to hide
            throw;
        }
        if (base == kOpaque) {
            std::vector<std::string> lower;
            DIR* listing = ::fdopendir(::dup(d.get()));
            if (!listing) throw sys_error("opendir", "/" + dir, errno);
            while (dirent* e = ::readdir(listing)) {
                std::string c = e->d_name;
                if (c != "." && c != ".." && !written_.count(child_of(dir, c))) lower.push_back(c);
            }
            ::closedir(listing);
            for (const auto& c : lower) remove_at(d.get(), c, "/" + child_of(dir, c));
            return;
        }
        if (base.starts_with(".wh..wh.")) return;  // other AUFS metadata (hard link dirs): not content
        std::string name = base.substr(kWhiteout.size());
        if (name.empty() || name == "." || name == "..") throw Error("invalid whiteout \"" + base + "\"");
        if (!written_.count(child_of(dir, name))) remove_at(d.get(), name, "/" + child_of(dir, name));
    }

    void set_root(archive_entry* e) {
        if (archive_entry_filetype(e) != AE_IFDIR) throw Error("the root must be a directory");
        set_owner_mode_xattrs(root_, e);
    }

    void link(int parent, const std::string& base, const std::string& target) {
        sys::Fd t = security::open_in_root(root_, target, O_PATH | O_NOFOLLOW);
        if (::linkat(t.get(), "", parent, base.c_str(), AT_EMPTY_PATH) < 0)
            throw sys_error("link to", "/" + target, errno);
    }

    void write_data(int fd, archive_entry* e) {
        const void* buf;
        size_t size;
        la_int64_t offset;
        int rc;
        while ((rc = archive_read_data_block(layer_.tar(), &buf, &size, &offset)) == ARCHIVE_OK) {
            const char* p = static_cast<const char*>(buf);
            while (size > 0) {
                ssize_t n = ::pwrite(fd, p, size, offset);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throw sys_error("write", "", errno);
                p += n;
                offset += n;
                size -= static_cast<size_t>(n);
            }
        }
        if (rc != ARCHIVE_EOF) layer_.fail(layer_.tar());
        // Sparse files end in a hole that no data block covers.
        if (::ftruncate(fd, archive_entry_size(e)) < 0) throw sys_error("truncate", "", errno);
    }

    // Owner first: chown clears set-id bits and file capabilities, which the
    // mode and the xattrs then restore.
    static void set_owner_mode_xattrs(int fd, archive_entry* e) {
        if (::fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0) throw sys_error("chown", "", errno);
        if (::fchmod(fd, archive_entry_perm(e)) < 0) throw sys_error("chmod", "", errno);
        const char* name;
        const void* value;
        size_t size;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
            if (::fsetxattr(fd, name, value, size, 0) < 0) throw sys_error("set xattr", name, errno);
    }

    static Times times_of(archive_entry* e) {
        timespec mtime{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
        timespec atime = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                                                        : mtime;
        return Times{{atime, mtime}};
    }

    int root_;
    LayerReader& layer_;
    std::unordered_set<std::string> written_;
    std::vector<DirTimes> dir_times_;
};

}  // namespace

std::string clean_path(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out;
    for (auto p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

void apply_layer(int root_fd, LayerReader& layer) { Applier(root_fd, layer).run(); }

}  // namespace dkr::image
