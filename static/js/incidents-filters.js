/* Wijkagent's incident page: a changed filter reloads the page (map, table, chart and export links
   all follow the same query string). Date fields only show for "Eigen periode". */
(function () {
  "use strict";
  var form = document.getElementById("incident-filters");
  if (!form) { return; }
  var period = form.querySelector("select[name=periode]");
  var ranges = form.querySelectorAll(".field.range");
  function toggle() {
    for (var i = 0; i < ranges.length; i++) { ranges[i].hidden = period.value !== "range"; }
  }
  toggle();
  form.addEventListener("change", function (event) {
    toggle();
    if (event.target.type === "date" && period.value === "range") {
      var from = form.querySelector("input[name=van]"), to = form.querySelector("input[name=tot]");
      if (!from.value || !to.value) { return; }  // wait for both dates
    }
    if (period.value === "range" && event.target === period) { return; }  // choose the dates first
    form.submit();
  });
})();
