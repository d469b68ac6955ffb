#pragma once
// Known incidents: an outage or problem the team already knows about. While an incident is open,
// a NEW contact that matches it (its words or its category tag, and its region) gets the
// incident's public message as an automatic public reply (Auto-Submitted), is linked to the
// incident and set to pending. Resolving the incident solves every linked ticket with the
// resolution message and queues a notification to each requester, in the same transaction.
//
// The matching runs as a tickets create hook (`on_ticket_created`, registered in app/), inside
// the ticket's creation transaction: a contact is never visible, routable or answerable by an
// agent before the incident has answered it, and a crash cannot leave it half-handled.
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::knowledge {

struct Incident {
  int64_t id = 0;
  std::string title, service;
  std::vector<std::string> regions, keywords;  // lower-case; empty regions: everywhere
  std::optional<std::string> category_tag;
  std::string public_message, resolution_message;
  std::string status = "open";  // open | resolved
  int64_t starts_at = 0;
  std::optional<int64_t> ends_at;
  int64_t created_by = 0;
  std::optional<int64_t> resolved_by, resolved_at;
  int64_t created_at = 0, updated_at = 0;
  int64_t linked_count = 0, solved_count = 0;
};

// What a new contact offers for matching.
struct Contact {
  std::string text;               // subject + description
  std::vector<std::string> tags;  // the ticket's tags
  std::optional<std::string> region;
};

// Admins and managers write incidents; every agent reads them.
bool can_manage_incidents(const domain::Principal& p);

// True while `i` is open and `now` is within [starts_at, ends_at).
bool is_active(const Incident& i, int64_t now);
// Pure matching: (a keyword as a whole word or phrase in the text, case-insensitive, or the
// category tag among the tags) and (no regions, or the contact's region among them; a contact
// with no known region matches only incidents without regions).
bool matches(const Incident& i, const Contact& c);

Result<Incident> create_incident(store::Tx& tx, const Json& in, const domain::Principal& actor);
// Fields as for create; `status: "resolved"` resolves (see resolve_incident).
Result<Incident> update_incident(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor);
Result<Incident> get_incident(store::Conn& conn, int64_t id, const domain::Principal& reader);
Result<domain::Page<Incident>> list_incidents(store::Conn& conn, const std::optional<std::string>& status,
                                              const domain::PageRequest& pr, const domain::Principal& reader);
// Tickets linked to an incident, oldest first (at most 1,000).
Result<std::vector<int64_t>> incident_ticket_ids(store::Conn& conn, int64_t id, const domain::Principal& reader);

// Resolves: solves up to `k_solve_batch` linked tickets now (each with a public comment carrying
// the resolution message, made by `actor`, who becomes the assignee where there is none) and queues
// a `notification` outbox row to each requester. Larger incidents finish in `solve_remaining`.
constexpr int64_t k_solve_batch = 200;
Result<Incident> resolve_incident(store::Tx& tx, int64_t id, const std::optional<std::string>& message,
                                  const domain::Principal& actor);
// Solves up to `limit` tickets still waiting on resolved incidents; returns how many. For the
// background job that finishes large incidents.
Result<int64_t> solve_remaining(store::Tx& tx, int64_t limit);
Result<int64_t> count_remaining(store::Conn& conn);

// The tickets create hook.
Status on_ticket_created(store::Tx& tx, const domain::Ticket& t);

// The region of a contact: the form's `region:<code>` tag, else the requester's user field
// `region`, else their organization's field `region`.
Result<std::optional<std::string>> contact_region(store::Conn& conn, const domain::Ticket& t);

// Every region any incident has named (sorted, at most 100): the web form offers them.
Result<std::vector<std::string>> known_regions(store::Conn& conn);

// The public status query for an embedding product: open incidents affecting a service and/or
// region. `customer`: a user found by email or external_id (requires a staff token at the edge),
// whose region is used when `region` is not given.
struct StatusQuery {
  std::optional<std::string> service, region, email, external_id;
};
struct StatusAnswer {
  std::vector<Incident> incidents;
  std::optional<int64_t> customer_id;
  std::optional<std::string> region;  // the region the answer used
};
Result<StatusAnswer> incident_status(store::Conn& conn, const StatusQuery& q, int64_t now);

}  // namespace rapport::knowledge
