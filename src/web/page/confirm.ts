import { byId, fill, h } from "./dom.ts";

/**
 * Asks in the page before an action: a modal with the question, what will happen, and two buttons; "keep" has the
 * focus, so Enter or Escape changes nothing.
 */
export function confirmAction(question: string, detail: string, yes: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("confirm");
  return new Promise((resolve) => {
    const answer = (value: string) => () => dialog.close(value);
    fill(
      dialog,
      h("h3", {}, question),
      h("p", {}, detail),
      h(
        "div",
        { class: "buttons" },
        h("button", { autofocus: true, onclick: answer("no") }, "Keep it"),
        h("button", { class: "danger", onclick: answer("yes") }, yes),
      ),
    );
    dialog.returnValue = "no";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal();
  });
}
