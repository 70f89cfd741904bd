/* The sign-up form, a step ahead (issue 14): once postcode and huisnummer are filled in, show the
   street and place as a check, and at a number with several addresses the toevoegingen as buttons
   that fill in the Toevoeging field. Progressive enhancement only: without JavaScript the server
   offers the same choice after "Aanmelden". No inline script (CSP: our own static files).

   The address goes in a POST body to /api/v1/address-check (rate-limited like the lookup page;
   never in a URL; always 200, so no console noise) and is not kept. Any answer but "found" or
   "choose" (unknown, a typo, the rate limit, no network) just empties the box: the form itself
   still answers on submit.

   <div data-address-check hidden aria-live="polite"
        data-url="/api/v1/address-check"
        data-postcode="#postcode" data-number="#house_number" data-addition="#addition"
        data-text-found="Gevonden: {address}"
        data-text-choose="Op {where} zijn meer adressen. Kies het uwe:"
        data-text-one="Op {where} kennen we alleen {house}. Is dat uw adres?"
        data-text-select="Huisnummer met toevoeging"></div> */
(function () {
  "use strict";

  var POSTCODE = /^\s*[1-9][0-9]{3}\s*-?\s*[A-Za-z]{2}\s*$/;
  var NUMBER = /^\s*[0-9]/;
  var BUTTONS = 12; /* more candidates than this: one list (buurt.residents.lookup.CHOICE_BUTTONS) */

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function additionOf(candidate) {
    return [candidate.huisletter, candidate.toevoeging].filter(Boolean).join("-");
  }

  function setup(box) {
    var postcode = document.querySelector(box.getAttribute("data-postcode"));
    var number = document.querySelector(box.getAttribute("data-number"));
    var addition = document.querySelector(box.getAttribute("data-addition"));
    if (!postcode || !number || !addition || !window.fetch || !window.JSON) {
      return;
    }
    var asked = "";
    var latest = 0;

    function clear() {
      box.textContent = "";
      box.hidden = true;
    }

    function say(text) {
      var p = document.createElement("p");
      p.textContent = text;
      box.appendChild(p);
    }

    function pick(candidate) {
      number.value = String(candidate.huisnummer);
      addition.value = additionOf(candidate);
      check();
    }

    function choices(data) {
      if (data.candidates.length > BUTTONS) {
        return choiceList(data);
      }
      var list = document.createElement("ul");
      list.className = "choices";
      data.candidates.forEach(function (candidate) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button choice";
        button.textContent = candidate.house;
        button.addEventListener("click", function () {
          pick(candidate);
        });
        item.appendChild(button);
        list.appendChild(item);
      });
      box.appendChild(list);
    }

    function choiceList(data) {
      /* a block of flats: one list, as on the lookup page */
      var label = document.createElement("label");
      var select = document.createElement("select");
      label.htmlFor = select.id = "adres-controle-keuze";
      label.textContent = box.getAttribute("data-text-select");
      select.appendChild(new Option("", ""));
      data.candidates.forEach(function (candidate, index) {
        select.appendChild(new Option(candidate.house, String(index)));
      });
      select.addEventListener("change", function () {
        if (select.value !== "") {
          pick(data.candidates[Number(select.value)]);
        }
      });
      box.appendChild(label);
      box.appendChild(select);
    }

    function show(data) {
      box.textContent = "";
      if (data.status === "found" && data.address) {
        say(fill(box.getAttribute("data-text-found"), { address: data.address }));
      } else if (data.status === "choose" && data.candidates && data.candidates.length) {
        var where = (data.street ? data.street + " " : "") + data.candidates[0].huisnummer;
        where += data.place ? ", " + data.place : "";
        if (data.candidates.length === 1) {
          say(fill(box.getAttribute("data-text-one"), { where: where, house: data.candidates[0].house }));
        } else {
          say(fill(box.getAttribute("data-text-choose"), { where: where }));
        }
        choices(data);
      } else {
        clear();
        return;
      }
      box.hidden = false;
    }

    function check() {
      if (!POSTCODE.test(postcode.value) || !NUMBER.test(number.value)) {
        asked = "";
        clear();
        return;
      }
      var body = { postcode: postcode.value, huisnummer: number.value, toevoeging: addition.value };
      var key = JSON.stringify(body).replace(/\s+/g, "").toUpperCase();
      if (key === asked) {
        return;
      }
      asked = key;
      var mine = ++latest;
      fetch(box.getAttribute("data-url"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(body),
      })
        .then(function (response) {
          return response.json();
        })
        .then(
          function (data) {
            if (mine === latest) {
              show(data);
            }
          },
          function () {
            if (mine === latest) {
              clear();
            }
          }
        );
    }

    [postcode, number, addition].forEach(function (input) {
      input.addEventListener("change", check);
    });
    check(); /* a form that came back filled in */
  }

  document.querySelectorAll("[data-address-check]").forEach(setup);
})();
