// displayText lives in src/text (config errors use it too, and must not import from the actors);
// re-exported here for the client's modules that import it from this folder.
export { displayText } from '../text/displayText.ts';
