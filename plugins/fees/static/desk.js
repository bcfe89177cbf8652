// Cashier desk: ticking bills fills the amount with what the ticked bills owe.
// Sums are whole cents (integers rendered by the server), so no float rounding is involved.
(function () {
  "use strict";
  function format(cents) {
    var s = String(cents).padStart(3, "0");
    return s.slice(0, -2) + "." + s.slice(-2);
  }
  // The ticked sum as the server writes money (Babel's format_currency): the currency sign and
  // grouping of the page's language from Intl, the cents from the integer (never a float).
  function money(cents, currency) {
    var lang = document.documentElement.lang || "en";
    var sign = cents < 0 ? "-" : "";
    cents = Math.abs(cents);
    var whole = new Intl.NumberFormat(lang).format(Math.floor(cents / 100));
    var frac = String(cents % 100).padStart(2, "0");
    var before = "", after = "", seenNumber = false;
    new Intl.NumberFormat(lang, {style: "currency", currency: currency}).formatToParts(0).forEach(function (p) {
      if (p.type === "integer" || p.type === "decimal" || p.type === "fraction" || p.type === "group") {
        seenNumber = true;
      } else if (seenNumber) {
        after += p.value;
      } else {
        before += p.value;
      }
    });
    var decimal = new Intl.NumberFormat(lang, {minimumFractionDigits: 1}).formatToParts(0.5)
      .filter(function (p) { return p.type === "decimal"; })[0].value;
    return sign + before + whole + decimal + frac + after;
  }
  function update(form) {
    var total = 0, count = 0;
    form.querySelectorAll("input[name=bill]").forEach(function (box) {
      if (box.checked) {
        total += parseInt(box.dataset.owedCents, 10);
        count += 1;
      }
    });
    var amount = form.querySelector("#amount");
    if (amount) amount.value = count ? format(total) : "";
    var shown = form.querySelector("#ticked-total");
    if (shown) {
      shown.querySelector(".count").textContent = String(count);
      var sum = shown.querySelector(".sum");
      sum.textContent = sum.dataset.currency ? money(total, sum.dataset.currency) : format(total);
    }
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest("#pay-form");
    if (!form) return;
    if (event.target.id === "tick-all") {
      form.querySelectorAll("input[name=bill]").forEach(function (box) { box.checked = event.target.checked; });
      update(form);
    } else if (event.target.name === "bill") {
      update(form);
    }
  });
})();
