#pragma once
#include <nlohmann/json.hpp>

namespace rapport {
using Json = nlohmann::json;
}
