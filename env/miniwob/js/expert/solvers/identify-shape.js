var s = $("#area_svg").querySelector("text, rect, circle, polygon"), t;
if (s.tagName === "text") t = /\d/.test(txt(s)) ? "digit" : "letter";
else t = { rect: "rectangle", circle: "circle", polygon: "triangle" }[s.tagName];
return click($('#area-buttons button[data-type="' + t + '"]'));
