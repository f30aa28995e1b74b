return fill($("#answer-input"), $("#to-copy").value) || click($("#subbtn"));
