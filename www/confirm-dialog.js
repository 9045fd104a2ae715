// Confirmation before a destructive action (Delete, Reset), in the page's own modal <dialog>: the
// browser traps focus inside it, Escape cancels, and focus returns to the button that opened it.
// Cancel has the initial focus, so pressing Enter by reflex does not destroy anything.

const dialog = () => document.getElementById("confirm-dialog");

/** Resolves true when the person confirmed, false when they cancelled or pressed Escape. */
export function confirmAction({ title, text, confirmLabel }) {
  const element = dialog();
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = confirmLabel;
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
