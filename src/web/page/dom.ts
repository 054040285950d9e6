type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | ((event: Event) => void) | undefined>;

/**
 * An element with attributes (`on…` ones are listeners) and children. Text is always a text node, never HTML: task
 * names, commands and logs are whatever their authors typed.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

/** Replaces an element's children. */
export function fill(element: Element, ...children: (Child | Child[])[]): void {
  element.replaceChildren(...children.flat().filter((c): c is Node | string => Boolean(c)));
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/**
 * Replaces an element's children only when the new ones differ from those shown: a refresh that changed nothing in
 * a region leaves its elements in place, so a focused button keeps its focus and a press held across a refresh
 * still clicks. A listener kept this way is an older one: it must read what it acts on when it runs.
 */
export function refill(element: Element, ...children: (Child | Child[])[]): void {
  const next = children.flat().filter((c): c is Node | string => Boolean(c));
  const shown = element.childNodes;
  const same =
    next.length === shown.length &&
    next.every((child, i) => {
      const node = shown[i];
      return typeof child === "string"
        ? node?.nodeType === Node.TEXT_NODE && node.textContent === child
        : child.isEqualNode(node ?? null);
    });
  if (!same) element.replaceChildren(...next);
}
