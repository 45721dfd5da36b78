// What an app ships for the element (issue 7 item 9): the package's browser entry, nothing else.
import '../../src/index.js';
