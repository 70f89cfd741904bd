/* Wijkagent's incident page (templates/incidents/index.html).
   - The filters change nothing by themselves (WCAG 3.2.2): ticking a box or moving through the period list
     with the arrow keys keeps the person where they are. "Filters toepassen" submits the GET form, so the
     state stays in the URL (reload, "English", a bookmark). A note says a change is not applied yet.
   - The date fields only show for "Eigen periode".
   - On a wide screen the filter box beside the map starts open; on a phone it starts folded above the map. */
(function () {
  "use strict";
  var form = document.getElementById("incident-filters");
  if (!form) { return; }
  var period = form.querySelector("select[name=periode]");
  var ranges = form.querySelectorAll(".field.range");
  var pending = document.getElementById("filters-pending");
  var box = document.querySelector("details[data-open-wide]");

  function toggleRange() {
    for (var i = 0; i < ranges.length; i++) { ranges[i].hidden = period.value !== "range"; }
  }
  toggleRange();
  period.addEventListener("change", toggleRange);

  function markPending() { if (pending) { pending.hidden = false; } }
  form.addEventListener("change", markPending);
  form.addEventListener("input", markPending);

  if (box && !box.open && window.matchMedia && window.matchMedia("(min-width: 64rem)").matches) {
    box.open = true;
  }
})();
