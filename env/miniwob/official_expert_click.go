package miniwob

// Solvers of the click-* and focus-* tasks (see official_expert.go). Most
// read the target from the instruction's quoted text and find the element
// that shows it.
func init() {
	addSolvers(map[string]string{
		"click-button": `
			var want = quoted(0);
			return click($$("#area button").filter(function (b) { return txt(b) === want; })[0]);`,

		// Every link with the instruction's text rewards, so the first will do.
		"click-link": `return click(byText("#area .alink", quoted(0)));`,

		"click-dialog": `return click($(".ui-dialog-titlebar button"));`,

		// The title bar's close button answers to "x".
		"click-dialog-2": `
			var want = quoted(0);
			if (want === "x") return click($(".ui-dialog-titlebar button"));
			return click(byText(".ui-dialog-buttonpane button", want));`,

		"click-tab": `
			var n = Q.match(/Tab #(\d)/)[1];
			return click($('#area ul a[href="#tabs-' + n + '"]'));`,

		// The option's label carries its name; the radio button is inside it.
		"click-option": `
			var want = Q.match(/^Select (.*) and click Submit\.$/)[1];
			var lab = $$("#boxes label").filter(function (l) { return txt(l) === want; })[0];
			var r = $("input", lab);
			return r.checked ? click($("#subbtn")) : click(r);`,

		"click-checkboxes":          checkboxesByName,
		"click-checkboxes-transfer": checkboxesByName,
		"click-checkboxes-large":    checkboxesByName,

		// The instruction names one synonym of each box to tick; the page
		// keeps its synonym sets global (SYNONYMS), the reference a person
		// would bring.
		"click-checkboxes-soft": `
			var words = Q.match(/^Select words similar to (.*) and click Submit\.$/)[1].split(", ");
			var group = function (w) { return SYNONYMS.filter(function (g) { return g.indexOf(w) >= 0; }); };
			var similar = function (a, b) { return group(a).some(function (g) { return g.indexOf(b) >= 0; }); };
			var boxes = $$("#boxes label");
			for (var i = 0; i < boxes.length; i++) {
				var c = $("input", boxes[i]), name = txt(boxes[i]);
				var want = words.some(function (w) { return similar(w, name); });
				if (c.checked !== want) return click(c);
			}
			return click($("#subbtn"));`,

		"click-test":   `return click($("#subbtn"));`,
		"click-test-2": `return click($("#subbtn"));`,
		"click-test-transfer": `
			var want = Q.match(/button (\w+)/)[1];
			return click($$("#area button").filter(function (b) { return txt(b) === want; })[0]);`,

		// The widget's type is the data-type of the control inside it.
		"click-widget": `
			var want = quoted(0);
			return click($$('#area [data-type="' + want + '"]')[0]);`,

		"click-button-sequence": `
			// The page keeps the buttons pushed so far global.
			return click(buttonsPushed.length === 0 ? $("#subbtn") : $("#subbtn2"));`,

		"click-collapsible":           collapsibleSubmit,
		"click-collapsible-nodelay":   collapsibleSubmit,
		"click-collapsible-2":         collapsibleLink,
		"click-collapsible-2-nodelay": collapsibleLink,

		"focus-text": `return click($("#tt"));`,
		"focus-text-2": `
			var n = { "1st": 0, "2nd": 1, "3rd": 2 }[Q.match(/the (\w+) input/)[1]];
			return click($$("#area input")[n]);`,
	})
}

// checkboxesByName ticks exactly the boxes the instruction lists by name
// ("nothing" for none), then submits.
const checkboxesByName = `
	var list = Q.match(/^Select (.*) and click Submit\.$/)[1];
	var names = list === "nothing" ? [] : list.split(", ");
	var boxes = $$("#area label");
	for (var i = 0; i < boxes.length; i++) {
		var c = $("input", boxes[i]);
		if (c.checked !== (names.indexOf(txt(boxes[i])) >= 0)) return click(c);
	}
	return click($("#subbtn"));`

// collapsibleSubmit opens the section, waits for its animation, submits.
const collapsibleSubmit = `
	if ((window.jQuery && jQuery("#area :animated").length) || $$("#area .ui-accordion-content").some(function (c) { return c.style.height && c.style.display !== "none" && c.style.overflow === "hidden"; })) return wait();
	var open = $$("#area .ui-accordion-content").filter(shown);
	if (!open.length) return click($("#area h3"));
	return click($("#subbtn"));`

// collapsibleLink opens the section that holds a link with the
// instruction's text and clicks that link.
const collapsibleLink = `
	if ((window.jQuery && jQuery("#area :animated").length)) return wait();
	var want = quoted(0);
	var links = $$("#area .alink").filter(function (a) { return txt(a) === want; });
	var vis = links.filter(shown)[0];
	if (vis) return click(vis);
	var panel = links[0].closest(".ui-accordion-content");
	return click(panel.previousElementSibling);`
