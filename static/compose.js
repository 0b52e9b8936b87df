// Optional enhancement: the characters left, counted live under each compose box as the server
// counts them (code points of the trimmed text, line breaks as one). Without JavaScript the page
// says the same after a refused post; nothing here is needed to post.
"use strict";
for (const box of document.querySelectorAll("textarea[data-max-chars]")) {
  const hint = document.getElementById(box.dataset.hint);
  const max = Number(box.dataset.maxChars);
  if (!hint || !max) continue;
  const update = () => {
    const used = [...box.value.replace(/\r\n/g, "\n").trim()].length;
    const left = max - used;
    hint.textContent = left >= 0 ? `${left} of ${max} characters left.` : `${-left} characters too many: shorten it to post.`;
    hint.classList.toggle("over", left < 0);
  };
  box.addEventListener("input", update);
  if (box.value) update();
}
