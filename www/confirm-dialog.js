// Confirmation before an action that cannot be taken back or that changes what is stored (Delete,
// Reset, discarding edits, saving before Generate), in the page's own modal <dialog>: the browser
// traps focus inside it, Escape cancels, and focus returns to the control that opened it. Cancel
// has the initial focus, so pressing Enter by reflex does not destroy anything. Confirming is a
// click or key press of its own, so the browser still counts what follows as the person's action
// (a popup opened right after "Save and Generate" is not blocked).

const dialog = () => document.getElementById("confirm-dialog");

/**
 * Resolves true when the person confirmed, false when they cancelled or pressed Escape. `tone` is
 * "danger" (the default: red confirm button) or "primary" (a step that loses nothing).
 */
export function confirmAction({ title, text, confirmLabel, tone = "danger" }) {
  const element = dialog();
  const confirm = document.getElementById("confirm-ok");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  confirm.textContent = confirmLabel;
  confirm.className = tone === "primary" ? "primary" : "danger";
  const opener = document.activeElement;
  element.returnValue = "cancel";
  return new Promise((resolve) => {
    element.addEventListener("close", () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(element.returnValue === "confirm");
    }, { once: true });
    element.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}
