// How an input's value is shown in a message: quoted and cut, so one long value cannot flood it.
import { shorten } from '../shorten.js';

/** A value quoted for a message: JSON string syntax shows control characters, and it is cut. */
export function quote(text: string): string {
  return JSON.stringify(shorten(text));
}
