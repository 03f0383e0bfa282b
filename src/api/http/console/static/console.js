// The console's only script: the moment slider shows its version and, let go, shows that moment.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[type=range][data-toon]").forEach(function (slider) {
    var shown = document.getElementById(slider.dataset.toon);
    slider.addEventListener("input", function () { if (shown) { shown.textContent = slider.value; } });
    slider.addEventListener("change", function () { slider.form.submit(); });
  });
});
