#pragma once
// Records to the Zendesk v2 wire format. `base` is "scheme://host" of the request, so every
// object's `url` is absolute.
#include <string>

#include <rapport/base/json.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/email/attachments.hpp>

namespace rapport::http {

Json to_json(const domain::Ticket& t, const std::string& base);
// Appends to_json(t, base) as JSON text, byte for byte what dumping it gives, without building the
// tree: a page of 100 tickets spent three quarters of its time building and freeing nlohmann
// objects (docs/benchmarks.md).
void write_json(std::string& out, const domain::Ticket& t, const std::string& base);
Json to_json(const domain::User& u, const std::string& base);
Json to_json(const domain::Organization& o, const std::string& base);
Json to_json(const domain::Group& g, const std::string& base);
Json to_json(const domain::Site& s, const std::string& base);
Json to_json(const domain::Comment& c);
Json to_json(const domain::Audit& a);
// Zendesk's attachment object; content_url points at /api/v2/attachments/{id}/content.
Json to_json(const email::StoredAttachment& a, const std::string& base);
Json to_json(const domain::JobStatus& j, const std::string& base);
// The anonymous user `GET /users/me` returns without credentials.
Json anonymous_user();

}  // namespace rapport::http
