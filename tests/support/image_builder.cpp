#include "tests/support/image_builder.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runtime/image/digest.hpp"

namespace fs = std::filesystem;

namespace dkr_test {

namespace {

la_ssize_t append_to_string(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

void check(archive* a, int rc) {
  if (rc < ARCHIVE_WARN) throw std::runtime_error(std::string("libarchive: ") + archive_error_string(a));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string json_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_string(v[i]);
  return out + "]";
}

std::string read_whole(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_whole(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  if (!f) throw std::runtime_error("cannot write " + path);
}

// `data` through a compression filter (libarchive's "raw" format: one
// stream, no archive structure).
std::string compress(const std::string& data, Compression c) {
  std::string out;
  archive* a = archive_write_new();
  check(a, archive_write_set_format_raw(a));
  check(a, c == Compression::Gzip ? archive_write_add_filter_gzip(a) : archive_write_add_filter_zstd(a));
  archive_write_set_bytes_in_last_block(a, 1);  // no padding after the compressed stream
  check(a, archive_write_open(a, &out, nullptr, append_to_string, nullptr));
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  check(a, archive_write_header(a, e));
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  check(a, archive_write_close(a));
  archive_write_free(a);
  return out;
}

}  // namespace

Entry file(const std::string& path, const std::string& content, unsigned mode, unsigned uid, unsigned gid) {
  Entry e;
  e.path = path;
  e.content = content;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  return e;
}

Entry dir(const std::string& path, unsigned mode, unsigned uid, unsigned gid) {
  Entry e = file(path, "", mode, uid, gid);
  e.type = Entry::Dir;
  return e;
}

Entry soft_link(const std::string& path, const std::string& target) {
  Entry e = file(path, target, 0777);
  e.type = Entry::Symlink;
  return e;
}

Entry hard_link(const std::string& path, const std::string& target) {
  Entry e = file(path, target);
  e.type = Entry::Hardlink;
  return e;
}

Entry whiteout(const std::string& path) {
  auto slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  return file(parent + ".wh." + path.substr(slash == std::string::npos ? 0 : slash + 1), "");
}

Entry opaque(const std::string& dir_path) { return file(dir_path + "/.wh..wh..opq", ""); }

std::vector<Entry> entries_of_dir(const std::string& root) {
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    paths.push_back(it->path().lexically_relative(root).string());
  std::sort(paths.begin(), paths.end());
  std::vector<Entry> out;
  for (const auto& rel : paths) {
    std::string full = root + "/" + rel;
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) throw std::runtime_error("lstat " + full);
    Entry e = file(rel, "", st.st_mode & 07777, st.st_uid, st.st_gid);
    if (S_ISDIR(st.st_mode)) {
      e.type = Entry::Dir;
    } else if (S_ISLNK(st.st_mode)) {
      e.type = Entry::Symlink;
      e.content = fs::read_symlink(full).string();
    } else if (S_ISREG(st.st_mode)) {
      e.content = read_whole(full);
    } else {
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Layer make_layer(const std::vector<Entry>& entries, Compression c) {
  std::string tar;
  archive* a = archive_write_new();
  check(a, archive_write_set_format_pax_restricted(a));
  check(a, archive_write_open(a, &tar, nullptr, append_to_string, nullptr));
  for (const auto& en : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, en.path.c_str());
    archive_entry_set_uid(e, en.uid);
    archive_entry_set_gid(e, en.gid);
    archive_entry_set_mtime(e, en.mtime, 0);
    archive_entry_set_perm(e, en.mode);
    switch (en.type) {
      case Entry::File:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(en.content.size()));
        break;
      case Entry::Dir:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case Entry::Symlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, en.content.c_str());
        break;
      case Entry::Hardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, en.content.c_str());
        break;
      case Entry::Fifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
      case Entry::CharDev:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(en.major, en.minor));
        break;
    }
    for (const auto& [k, v] : en.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    check(a, archive_write_header(a, e));
    if (en.type == Entry::File && !en.content.empty()) archive_write_data(a, en.content.data(), en.content.size());
    archive_entry_free(e);
  }
  check(a, archive_write_close(a));
  archive_write_free(a);

  Layer l;
  l.diff_id = sha256(tar);
  l.blob = c == Compression::None ? tar : compress(tar, c);
  l.digest = sha256(l.blob);
  l.media_type = c == Compression::None ? "application/vnd.oci.image.layer.v1.tar"
                 : c == Compression::Gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                          : "application/vnd.oci.image.layer.v1.tar+zstd";
  return l;
}

std::string config_json(const ImageSpec& s, const std::vector<Layer>& layers) {
  std::vector<std::string> diff_ids;
  for (const auto& l : layers) diff_ids.push_back(l.diff_id);
  std::string labels = "{", ports = "{";
  for (const auto& [k, v] : s.labels) labels += (labels.size() > 1 ? "," : "") + json_string(k) + ":" + json_string(v);
  for (const auto& p : s.exposed_ports) ports += (ports.size() > 1 ? "," : "") + json_string(p) + ":{}";
  std::string c = "{\"architecture\":" + json_string(s.architecture) + ",\"os\":" + json_string(s.os);
  if (!s.variant.empty()) c += ",\"variant\":" + json_string(s.variant);
  c += ",\"created\":\"2026-01-02T03:04:05Z\",\"config\":{";
  c += "\"Env\":" + json_list(s.env) + ",\"Labels\":" + labels + "},\"ExposedPorts\":" + ports + "}";
  if (!s.entrypoint.empty()) c += ",\"Entrypoint\":" + json_list(s.entrypoint);
  if (!s.cmd.empty()) c += ",\"Cmd\":" + json_list(s.cmd);
  if (!s.working_dir.empty()) c += ",\"WorkingDir\":" + json_string(s.working_dir);
  if (!s.user.empty()) c += ",\"User\":" + json_string(s.user);
  c += "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":" + json_list(diff_ids) + "}}";
  return c;
}

std::string sha256(const std::string& data) { return dkr::image::sha256_of(data).str(); }

OciLayout::OciLayout(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(dir_ + "/blobs/sha256");
  write_whole(dir_ + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
}

std::string OciLayout::add_blob(const std::string& data, const std::string& media_type, const std::string& extra) {
  std::string digest = sha256(data);
  write_whole(dir_ + "/blobs/sha256/" + digest.substr(7), data);
  return "{\"mediaType\":" + json_string(media_type) + ",\"digest\":\"" + digest +
         "\",\"size\":" + std::to_string(data.size()) + extra + "}";
}

std::string OciLayout::add_image(const ImageSpec& spec, const std::vector<Layer>& layers, bool with_platform) {
  std::string config = add_blob(config_json(spec, layers), "application/vnd.oci.image.config.v1+json");
  std::string list;
  for (const auto& l : layers) list += (list.empty() ? "" : ",") + add_blob(l.blob, l.media_type);
  std::string manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                         "\"config\":" + config + ",\"layers\":[" + list + "]}";
  std::string platform;
  if (with_platform)
    platform = ",\"platform\":{\"architecture\":" + json_string(spec.architecture) + ",\"os\":" + json_string(spec.os) +
               (spec.variant.empty() ? "" : ",\"variant\":" + json_string(spec.variant)) + "}";
  return add_blob(manifest, "application/vnd.oci.image.manifest.v1+json", platform);
}

std::string OciLayout::add_index(const std::vector<std::string>& manifests) {
  std::string list;
  for (const auto& m : manifests) list += (list.empty() ? "" : ",") + m;
  return add_blob("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" +
                      list + "]}",
                  "application/vnd.oci.image.index.v1+json");
}

void OciLayout::write_index(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string list;
  for (const auto& [ref, desc] : entries) {
    std::string d = desc;
    if (!ref.empty())
      d.insert(d.size() - 1, ",\"annotations\":{\"org.opencontainers.image.ref.name\":" + json_string(ref) + "}");
    list += (list.empty() ? "" : ",") + d;
  }
  write_whole(dir_ + "/index.json", "{\"schemaVersion\":2,\"manifests\":[" + list + "]}");
}

}  // namespace dkr_test
