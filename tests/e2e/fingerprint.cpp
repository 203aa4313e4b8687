#include "tests/e2e/fingerprint.hpp"

#include <vector>

#include "tests/e2e/text.hpp"

namespace dkr_e2e {

namespace {

const char* const kSections[] = {"status", "mounts", "devices", "limits", "identity", "cgroups", "misc"};

}  // namespace

const std::string& fingerprint_script() {
  static const std::string script =
      "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; echo ---;"
      // A file masked by a bind mount of a /dev/null counts as masked, whichever
      // /dev/null it was (dkr uses the host's, runc the container's). The
      // overlay's options name the engine's storage paths.
      // runc 1.1 leaves the tmpfs at /sys/fs/cgroup writable when the mount
      // asks for ro; dkr mounts it ro: its ro/rw is left out.
      "while read src dst type opts rest; do"
      "  [ $dst = /sys/fs/cgroup ] && opts=${opts#r[ow],};"
      "  if [ -c $dst ]; then echo \"$dst masked by $(stat -c %t,%T $dst)\";"
      "  else echo \"$src $dst $type $opts\"; fi;"
      "done < /proc/self/mounts | sed -E 's/^(overlay \\/ overlay [a-z]+),.*/\\1,.../' | sort; echo ---;"
      "stat -c '%n %F %a %u:%g %t,%T' /dev/* /dev/pts/* /dev/shm/ /dev/mqueue/; echo ---;"
      "cat /proc/self/limits; echo ---;"
      "id; umask; pwd; env | sort; echo ---;"
      "cat /proc/self/cgroup; echo ---;"
      "hostname; cat /proc/sys/net/ipv4/ping_group_range /proc/self/oom_score_adj; ls /proc/self/fd | wc -l";
  return script;
}

void observe_fingerprint(const std::string& output, const std::string& container_id, Observations& seen) {
  std::string text = container_id.empty() ? output : substitute(output, {{container_id, "ID"}});
  size_t i = 0;
  std::string section;
  for (auto& line : lines(text)) {
    if (line != "---") {
      section += line + "\n";
    } else if (i < std::size(kSections)) {
      seen.add(kSections[i++], section);
      section.clear();
    }
  }
  if (i < std::size(kSections)) seen.add(kSections[i], section);
}

}  // namespace dkr_e2e
