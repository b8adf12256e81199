/**
 * Every failure that belongs to an item names it in its message, "(item N)": headless runs,
 * webhooks and the error output show only the message.
 */

const TRAILING_MARK = /\(item \d+\)$/;
/** The form "Key "k" was not stored (item N): <cause>". */
const TAIL_MARK = /\(item \d+\):/;

/** The message naming `itemIndex`: its own "(item N)" set to this item, else " (item N)" appended. */
export function namingItem(message: string, itemIndex: number): string {
	const mark = `(item ${itemIndex})`;
	if (TRAILING_MARK.test(message)) return message.replace(TRAILING_MARK, mark);
	if (TAIL_MARK.test(message)) return message.replace(TAIL_MARK, `${mark}:`);
	return `${message} ${mark}`;
}

/** The message without its trailing "(item N)", to quote inside another item message. */
export function withoutItem(message: string): string {
	return message.replace(/\s*\(item \d+\)$/, '');
}

/** Sets the error's message to name `itemIndex` (see namingItem); returns the error. */
export function nameItem<T extends Error>(error: T, itemIndex: number): T {
	error.message = namingItem(error.message, itemIndex);
	return error;
}
