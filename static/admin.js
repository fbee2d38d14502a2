/* The administration lists: "select all" for the bulk actions, and the
 * rows-per-page choice applying at once. No inline script (CSP). */
(function () {
	"use strict";
	var all = document.getElementById("select-all");
	if (all) {
		all.addEventListener("change", function () {
			document.querySelectorAll("input.row-select").forEach(function (box) {
				box.checked = all.checked;
			});
		});
	}
	var perPage = document.getElementById("id_per_page");
	if (perPage && perPage.form) {
		perPage.addEventListener("change", function () {
			perPage.form.submit();
		});
	}
})();
