/* The lookup answer (templates/residents/_answer.html): the form posts to #antwoord, so the page
   comes back scrolled to the answer; this moves keyboard and screen-reader focus there as well
   (the section has tabindex="-1"). An error summary, when there is one, goes first (forms.js). */
(function () {
  "use strict";
  if (document.querySelector("[data-error-summary]")) { return; }
  var answer = document.querySelector("[data-answer]");
  if (!answer) { return; }
  answer.focus({preventScroll: true});
  answer.scrollIntoView({block: "start"});
}());
