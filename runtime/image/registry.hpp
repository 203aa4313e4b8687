// A client of the OCI distribution API (GET of manifests and blobs) over
// libcurl, with the registry token flow: a 401 carrying
//   WWW-Authenticate: Bearer realm="...",service="...",scope="..."
// is answered by fetching a token from the realm (anonymously, or with the
// credentials as HTTP Basic) and retrying with it; a Basic challenge is
// answered with the credentials themselves.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "runtime/image/reference.hpp"

namespace dkr::image {

struct Credentials {
    std::string user, password;
};

class Registry {
public:
    Registry(Reference ref, bool plain_http, std::optional<Credentials> creds);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    struct Document {
        std::string body;
        std::string media_type;  // the Content-Type, without parameters
        std::string url;         // for messages
    };
    // GET /v2/REPO/manifests/REF (a tag or a digest), accepting OCI and
    // Docker v2 manifests and indexes.
    Document manifest(const std::string& ref);

    // GET /v2/REPO/blobs/DIGEST, following redirects (without credentials to
    // another host); the body goes to `sink` chunk by chunk. `total` receives
    // the Content-Length when known.
    using Sink = std::function<void(const char* data, size_t len)>;
    void blob(const std::string& digest, const Sink& sink, const std::function<void(uint64_t total)>& total);

private:
    struct Reply {
        long status = 0;
        std::string content_type, challenge;
        std::string error_body;  // the body of a non-200 answer (its start)
    };
    // One GET; a 401 is answered by authenticating and trying once more.
    // Throws for any final status but 200.
    Reply get(const std::string& url, const std::string& accept, const Sink& sink,
              const std::function<void(uint64_t)>& total);
    Reply perform(const std::string& url, const std::string& accept, const Sink& sink,
                  const std::function<void(uint64_t)>& total);
    void authenticate(const std::string& challenge, const std::string& url);

    Reference ref_;
    std::string base_;  // scheme://host/v2/REPO
    std::optional<Credentials> creds_;
    std::string bearer_;
    bool basic_ = false;
    void* curl_;
};

}  // namespace dkr::image
