// The page keeps the buttons pushed so far global.
return click(buttonsPushed.length === 0 ? $("#subbtn") : $("#subbtn2"));
