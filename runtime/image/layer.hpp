// Applies image layers to a root filesystem, as the image-spec's changeset
// rules say: entries replace what lower layers left at their path (a
// directory over a directory only updates it), ".wh.NAME" deletes NAME from
// lower layers, ".wh..wh..opq" empties its directory of lower layers'
// entries. Owners, modes, times, device numbers, hard links and extended
// attributes (file capabilities among them) are kept.
//
// Every path is resolved inside the root (openat2 RESOLVE_IN_ROOT through
// dkr's safe_path): ".." and symlinks, absolute or relative, cannot lead out
// of it, and a symlink in a path is followed inside the root as it would be
// in the running container (merged-/usr images rely on that).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "runtime/image/layer_reader.hpp"

namespace dkr::image {

// "a/./b//c/../d" -> "a/b/d"; ".." at the top stays at the top; "" is the root.
std::string clean_path(std::string_view path);

// Applies every entry of `layer` to the directory `root_fd` (opened
// O_RDONLY|O_DIRECTORY). The caller checks the reader's digests afterwards.
void apply_layer(int root_fd, LayerReader& layer);

}  // namespace dkr::image
