#pragma once
// Message-IDs as the threading index stores them: the shared contract between intake (which
// records what it received and looks up In-Reply-To/References) and delivery (which mints the IDs
// of what we send).
#include <string>
#include <string_view>
#include <vector>

namespace rapport::email {

// "<Abc@Example.COM>" -> "abc@example.com"; "" when nothing is left.
std::string normalize_message_id(std::string_view raw);

// Every Message-ID in a References or In-Reply-To header value, normalized, in order, without
// duplicates. Bounded: at most `limit` IDs (the newest ones are last in References, so it keeps
// the last `limit`).
std::vector<std::string> parse_message_id_list(std::string_view header, std::size_t limit = 50);

// A fresh Message-ID for mail we send, normalized (no <>): "<random>.<tag>@<domain>".
std::string new_message_id(std::string_view domain, std::string_view tag = "rapport");

// The <> form for a header.
std::string bracket(std::string_view normalized_id);

}  // namespace rapport::email
