// Named fields of a group record, so that generic code (the Python bindings,
// a C++ trainer's config reader) can set a group's hyperparameters by name.
#pragma once

#include <tuple>

#include "optkern/options.hpp"

namespace optkern {

template <class Group, class Value>
struct Field {
  const char* name;
  Value Group::* member;
};

template <class Group, class Value>
constexpr Field<Group, Value> field(const char* name, Value Group::* member) {
  return {name, member};
}

// The fields of GroupBase, which every group record has.
constexpr auto base_fields() {
  return std::make_tuple(
      field("lr", &GroupBase::lr), field("weight_decay", &GroupBase::weight_decay),
      field("clip", &GroupBase::clip), field("convention", &GroupBase::convention),
      field("weight_decay_mode", &GroupBase::weight_decay_mode),
      field("maximize", &GroupBase::maximize));
}

// Calls f(field) for each field of a tuple of fields.
template <class Fields, class F>
void for_each_field(const Fields& fields, F&& f) {
  std::apply([&](const auto&... each) { (f(each), ...); }, fields);
}

}  // namespace optkern
