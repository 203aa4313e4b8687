#include "runtime/image/pull.hpp"

#include <fcntl.h>
#include <unistd.h>


#include "runtime/error.hpp"
#include "runtime/image/layout.hpp"
#include "runtime/image/platform.hpp"
#include "runtime/image/progress.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::image {

namespace {

// A manifest document fetched and checked: its digest is computed from the
// bytes (and compared with the one asked for, if any).
Descriptor check_document(const Registry::Document& doc, const std::string& wanted_digest) {
    Descriptor d;
    d.media_type = doc.media_type;
    if (!media::is_index(d.media_type) && !media::is_manifest(d.media_type))
        d.media_type = declared_media_type(doc.body, doc.url);  // some registries answer application/json
    d.digest = sha256_of(doc.body);
    d.size = static_cast<int64_t>(doc.body.size());
    if (!wanted_digest.empty()) check_digest(Digest::parse(wanted_digest, doc.url), d.digest, doc.url);
    return d;
}

// Downloads one blob into the layout: into a ".partial" file beside its
// place, hashed on the way, renamed into place once size and digest match.
void fetch_blob(Registry& registry, const Layout& layout, const Descriptor& d, const std::string& kind,
                Progress& progress) {
    progress.begin("Copying " + kind + " " + d.digest.algorithm + ":" + d.digest.short_hex(), d.size);
    if (layout.has_blob(d)) return progress.end("already present");
    std::string final_path = layout.blob_path(d.digest);
    sys::mkdir_all(final_path.substr(0, final_path.rfind('/')), 0755);
    std::string partial = final_path + ".partial";
    sys::Fd fd = sys::open_file(partial, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    try {
        Hasher h(d.digest.algorithm);
        registry.blob(
            d.digest.str(),
            [&](const char* data, size_t n) {
                if (h.bytes() + n > static_cast<uint64_t>(d.size))
                    throw Error("blob " + d.digest.str() + ": more than the " + std::to_string(d.size) +
                                " bytes its descriptor says");
                sys::write_all(fd.get(), std::string_view(data, n), partial);
                h.update(data, n);
                progress.advance(n);
            },
            {});
        if (h.bytes() != static_cast<uint64_t>(d.size))
            throw Error("blob " + d.digest.str() + ": " + std::to_string(h.bytes()) + " bytes, its descriptor says " +
                        std::to_string(d.size));
        check_digest(d.digest, h.finish(), "blob " + d.digest.str());
        fd.reset();
        if (::rename(partial.c_str(), final_path.c_str()) < 0) throw sys_error("rename", partial, errno);
    } catch (...) {
        ::unlink(partial.c_str());
        throw;
    }
    progress.end("done");
}

}  // namespace

std::string pull(const PullOptions& opts) {
    Reference ref = parse_reference(opts.reference);
    try {
        Layout layout(opts.layout_dir);
        layout.init();
        Registry registry(ref, opts.plain_http, opts.credentials);
        Progress progress(opts.progress, opts.progress_tty);
        progress.note("Pulling " + ref.str());

        Registry::Document doc = registry.manifest(ref.digest.empty() ? ref.tag : ref.digest);
        Descriptor top = check_document(doc, ref.digest);
        Descriptor md = top;
        if (media::is_index(top.media_type)) {
            Platform here = host_platform();
            Index index = parse_index(doc.body, doc.url);
            const Descriptor& chosen = choose_manifest(index, here, doc.url);
            progress.note("Manifest list: taking the image for " + platform_str(here));
            std::string digest = chosen.digest.str();
            doc = registry.manifest(digest);
            md = check_document(doc, digest);
        }
        if (!media::is_manifest(md.media_type))
            throw Error(doc.url + ": unsupported manifest type \"" + md.media_type +
                        "\" (dkr reads OCI and Docker v2 schema 2 images)");
        Manifest m = parse_manifest(doc.body, doc.url);

        fetch_blob(registry, layout, m.config, "config", progress);
        for (size_t i = 0; i < m.layers.size(); ++i)
            fetch_blob(registry, layout, m.layers[i],
                       "layer " + std::to_string(i + 1) + "/" + std::to_string(m.layers.size()), progress);
        layout.put_blob(md, doc.body);
        layout.add_manifest(md, ref.tag);
        progress.note("Pulled " + md.digest.str() + " into " + opts.layout_dir +
                      (ref.tag.empty() ? "" : " as \"" + ref.tag + "\""));
        return md.digest.str();
    } catch (...) {
        rethrow_with("pull " + ref.str());
    }
}

}  // namespace dkr::image
