/** Client-side throttling of the operation's dependency, around each attempt sent. */
export { ThrottleStage } from './stage.js';
