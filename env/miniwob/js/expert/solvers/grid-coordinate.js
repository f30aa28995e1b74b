var id = Q.match(/(\(-?\d,-?\d\))/)[1];
return click(document.getElementById(id));
