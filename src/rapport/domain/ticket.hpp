#pragma once
// Pure rules about tickets: the closed vocabularies and what may change into what.
#include <optional>
#include <string>
#include <string_view>

namespace rapport::domain {

// The order matters: search's `status<solved` compares ranks.
inline constexpr std::string_view k_statuses[] = {"new", "open", "pending", "hold", "solved", "closed"};
inline constexpr std::string_view k_priorities[] = {"low", "normal", "high", "urgent"};
inline constexpr std::string_view k_types[] = {"problem", "incident", "question", "task"};
inline constexpr std::string_view k_channels[] = {"api", "web", "email", "chat", "voice", "mobile", "sms",
                                                  "native_messaging", "rule", "system", "any_channel",
                                                  "twitter", "facebook", "mobile_sdk"};

std::optional<int> status_rank(std::string_view status);
bool valid_priority(std::string_view p);
bool valid_type(std::string_view t);
bool valid_channel(std::string_view c);
// Zendesk lower-cases tags and turns spaces into underscores; we keep [a-z0-9_:/.-].
std::string normalize_tag(std::string_view tag);
bool is_unsolved(std::string_view status);

}  // namespace rapport::domain
