// Builds OCI images for the tests, with libarchive and the digests of dkr's
// image library: tar layers from entry lists or directories, image configs,
// and OCI image layouts (single images, multi-platform indexes).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dkr_test {

struct Entry {
  enum Type { File, Dir, Symlink, Hardlink, Fifo, CharDev };
  std::string path;
  Type type = File;
  std::string content;  // file data, or the target of a (hard) link
  unsigned mode = 0644;
  unsigned uid = 0, gid = 0;
  unsigned major = 0, minor = 0;  // CharDev
  long mtime = 1700000000;
  std::map<std::string, std::string> xattrs;
};

Entry file(const std::string& path, const std::string& content, unsigned mode = 0644, unsigned uid = 0,
           unsigned gid = 0);
Entry dir(const std::string& path, unsigned mode = 0755, unsigned uid = 0, unsigned gid = 0);
Entry soft_link(const std::string& path, const std::string& target);
Entry hard_link(const std::string& path, const std::string& target);
Entry whiteout(const std::string& path);        // ".wh.<name>" beside path's name
Entry opaque(const std::string& dir_path);      // "<dir>/.wh..wh..opq"

// Every file, directory and symlink under `root` (not following symlinks),
// with its owner, mode and content, as layer entries.
std::vector<Entry> entries_of_dir(const std::string& root);

enum class Compression { None, Gzip, Zstd };

struct Layer {
  std::string blob;     // as stored
  std::string digest;   // of the blob
  std::string diff_id;  // of the uncompressed tar
  std::string media_type;
};
Layer make_layer(const std::vector<Entry>& entries, Compression c = Compression::Gzip);

struct ImageSpec {
  std::vector<std::string> entrypoint, cmd, env;
  std::string working_dir, user, architecture = "amd64", os = "linux", variant;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;
};
std::string config_json(const ImageSpec& spec, const std::vector<Layer>& layers);

std::string sha256(const std::string& data);  // "sha256:<hex>"

// An OCI image layout being written.
class OciLayout {
 public:
  explicit OciLayout(std::string dir);
  // Stores a blob; returns its descriptor as JSON text.
  std::string add_blob(const std::string& data, const std::string& media_type, const std::string& extra = "");
  // Config + layers + manifest; returns the manifest descriptor (platform set when `with_platform`).
  std::string add_image(const ImageSpec& spec, const std::vector<Layer>& layers, bool with_platform = false);
  // An image index blob over manifest descriptors; returns its descriptor.
  std::string add_index(const std::vector<std::string>& manifests);
  // Writes index.json naming each descriptor with ref (empty ref: no name).
  void write_index(const std::vector<std::pair<std::string, std::string>>& ref_and_descriptor);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace dkr_test
