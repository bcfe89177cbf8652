// Cashier desk: ticking bills fills the amount with what the ticked bills owe.
// Sums are whole cents (integers rendered by the server), so no float rounding is involved.
(function () {
  "use strict";
  function format(cents) {
    var s = String(cents).padStart(3, "0");
    return s.slice(0, -2) + "." + s.slice(-2);
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
      shown.querySelector(".sum").textContent = format(total);
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
