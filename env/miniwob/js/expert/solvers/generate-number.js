var d = txt($("#display-number")), n = parseInt(d, 10), m, ok;
if (isNaN(n)) ok = false;
else if ((m = Q.match(/less than (\d+)/))) ok = n < +m[1];
else if ((m = Q.match(/greater than (\d+)/))) ok = n > +m[1];
else if (/odd/.test(Q)) ok = Math.abs(n % 2) === 1;
else ok = n % 2 === 0;
return click($(ok ? "#submit" : "#generate"));
