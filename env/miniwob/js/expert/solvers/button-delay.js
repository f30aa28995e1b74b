if (buttonsPushed.length === 0) return click($("#subbtn"));
var left = timeDelay * 1000 - (Date.now() - currentTime) - 30;
if (left > 0) return wait(left);
return click($("#subbtn2"));
