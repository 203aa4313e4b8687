#include "runtime/image/source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "runtime/error.hpp"
#include "runtime/image/archive_handles.hpp"
#include "runtime/image/layer.hpp"
#include "runtime/image/layout.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::image {

namespace {

void check_layer_count(const ImageSource& img, size_t layers, const std::string& where) {
    if (img.config.diff_ids.size() != layers)
        throw Error(where + ": the image has " + std::to_string(layers) + " layers but its config lists " +
                    std::to_string(img.config.diff_ids.size()) + " diff_ids");
}

ImageSource open_layout(const std::string& dir, const std::string& ref) {
    Layout layout(dir);
    Descriptor md = layout.find_manifest(ref);
    std::string where = layout.blob_path(md.digest);
    Manifest m = parse_manifest(layout.read_blob(md), where);
    ImageSource img;
    img.name = dir + "@" + md.digest.str();
    img.config = parse_image_config(layout.read_blob(m.config), layout.blob_path(m.config.digest));
    check_layer_count(img, m.layers.size(), where);
    for (size_t i = 0; i < m.layers.size(); ++i)
        img.layers.push_back({layout.blob_path(m.layers[i].digest), m.layers[i], img.config.diff_ids[i]});
    return img;
}

// The digest a `docker save` path encodes: "blobs/sha256/<hex>" (Docker 25
// and later) or "<hex>.json" / "<hex>/layer.tar" (before).
std::optional<Digest> digest_in_path(const std::string& path) {
    std::string clean = clean_path(path);
    if (clean.starts_with("blobs/sha256/")) return Digest{"sha256", clean.substr(13)};
    if (clean.size() == 69 && clean.ends_with(".json")) return Digest{"sha256", clean.substr(0, 64)};
    return std::nullopt;
}

ImageSource open_docker_save(const std::string& dir, const std::string& ref) {
    std::string where = dir + "/manifest.json";
    auto images = parse_docker_save_manifest(sys::read_file(where), where);
    const DockerSaveImage* chosen = nullptr;
    std::string tags;
    for (const auto& img : images) {
        for (const auto& t : img.repo_tags) {
            tags += (tags.empty() ? "" : ", ") + t;
            if (t == ref) chosen = &img;
        }
    }
    if (ref.empty() && images.size() == 1) chosen = &images[0];
    if (!chosen)
        throw Error(where + (ref.empty() ? ": holds " + std::to_string(images.size()) + " images: choose one with --ref"
                                         : ": no image tagged \"" + ref + "\"") +
                    " (it has " + (tags.empty() ? "no tags" : tags) + ")");
    ImageSource img;
    img.name = where + (ref.empty() ? "" : " " + ref);
    std::string config_path = dir + "/" + clean_path(chosen->config);
    std::string config = sys::read_file(config_path);
    if (auto d = digest_in_path(chosen->config)) check_digest(*d, sha256_of(config), config_path);
    img.config = parse_image_config(config, config_path);
    check_layer_count(img, chosen->layers.size(), where);
    for (size_t i = 0; i < chosen->layers.size(); ++i) {
        LayerBlob l{dir + "/" + clean_path(chosen->layers[i]), std::nullopt, img.config.diff_ids[i]};
        if (auto d = digest_in_path(chosen->layers[i])) {
            struct stat st;
            if (::stat(l.path.c_str(), &st) < 0) throw sys_error("stat", l.path, errno);
            l.stored_as = Descriptor{"", *d, st.st_size, std::nullopt, {}};
        }
        img.layers.push_back(std::move(l));
    }
    return img;
}

}  // namespace

ImageSource open_image(const std::string& dir, const std::string& ref) {
    try {
        if (sys::path_exists(dir + "/index.json")) return open_layout(dir, ref);
        if (sys::path_exists(dir + "/manifest.json")) return open_docker_save(dir, ref);
        throw Error("neither an OCI image layout (index.json) nor a docker save archive (manifest.json)");
    } catch (...) {
        rethrow_with("open image " + dir);
    }
}

void extract_archive(const std::string& file, const std::string& into) {
    ArchiveReader reader(archive_read_new());
    ArchiveWriter writer(archive_write_disk_new());
    if (!reader || !writer) throw Error("unpack " + file + ": libarchive: out of memory");
    archive* in = reader.get();
    archive* out = writer.get();
    auto fail = [&](archive* a) {
        std::string msg = archive_error_string(a) ? archive_error_string(a) : "unreadable archive";
        throw Error("unpack " + file + ": " + msg);
    };
    archive_read_support_filter_all(in);
    archive_read_support_format_tar(in);
    // `into` is absolute (so NOABSOLUTEPATHS cannot be asked for) and free of
    // symlinks (the caller resolved it); entries are cleaned of "..".
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    if (archive_read_open_filename(in, file.c_str(), 1 << 20) != ARCHIVE_OK) fail(in);
    archive_entry* e;
    int rc;
    while ((rc = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        mode_t type = archive_entry_filetype(e);
        if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(e)) continue;
        std::string path = into + "/" + clean_path(archive_entry_pathname(e));
        archive_entry_set_pathname(e, path.c_str());
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        if (archive_write_header(out, e) != ARCHIVE_OK) fail(out);
        const void* buf;
        size_t size;
        la_int64_t offset;
        while ((rc = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
            if (archive_write_data_block(out, buf, size, offset) != ARCHIVE_OK) fail(out);
        if (rc != ARCHIVE_EOF) fail(in);
        if (archive_write_finish_entry(out) != ARCHIVE_OK) fail(out);
    }
    if (rc != ARCHIVE_EOF) fail(in);
}

}  // namespace dkr::image
