#pragma once
// Business rules' business hours from the SLA calendars: automation's `within_business_hours` and
// `within_schedule` conditions asked of sla::HoursLookup. Here because `automation` and `sla` are
// siblings that may not include each other; the app, which links both, joins them.
#include <memory>

#include <rapport/automation/business_rules.hpp>

namespace rapport::app {

class ScheduleHours final : public automation::BusinessHoursSource {
 public:
  std::unique_ptr<automation::BusinessHours> open(store::Conn& conn) const override;
  // The one instance the server and the CLI hand to the engine and the rule handlers.
  static const ScheduleHours& instance();
};

}  // namespace rapport::app
