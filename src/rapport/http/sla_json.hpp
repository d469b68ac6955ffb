#pragma once
// The tickets' `slas` sideload (`?include=slas`), shared by the ticket and SLA handlers.
#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/http/api.hpp>
#include <rapport/store/db.hpp>

namespace rapport::http {

// Whether `include` names slas (`include=slas` or a list such as `include=users,slas`).
bool wants_slas(const Ctx& c);
// Adds `slas: {policy_metrics: [...]}` to each ticket object in the array `tickets`.
Status add_slas(store::Conn& conn, Json& tickets);

}  // namespace rapport::http
