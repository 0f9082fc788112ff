#include "arrays.hpp"

#include <algorithm>

namespace optkern::bindings {

void require_disjoint(std::vector<Span>& spans, const py::list& names) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  // Sweep in address order, remembering the span reaching furthest so far of
  // each kind; any overlap that involves a written span is an error.
  const Span* reach_written = nullptr;
  const Span* reach_any = nullptr;
  for (const Span& s : spans) {
    const Span* clash = nullptr;
    if (reach_written && reach_written->end > s.begin)
      clash = reach_written;
    else if (s.written && reach_any && reach_any->end > s.begin)
      clash = reach_any;
    if (clash)
      throw py::value_error(label(s.what, names, s.index) + " shares memory with " +
                            label(clash->what, names, clash->index) +
                            "; optkern updates in place, so they must not overlap");
    if (s.written && (!reach_written || s.end > reach_written->end)) reach_written = &s;
    if (!reach_any || s.end > reach_any->end) reach_any = &s;
  }
}

}  // namespace optkern::bindings
