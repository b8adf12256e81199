/**
 * Each User's Tokens as an AI tool: no token goes to a model. A tool's output is what n8n hands to
 * the agent's model, and no storage step ever sees it; a renewed pair there would be both exposed
 * and lost (the spent refresh token signs the user out at their next run). So, as a tool, the node
 * acts with the mapped access token alone and never renews.
 */
import type { HyperIdContext } from '../../shared/environment';

/** Whether the node runs as the AI-tool variant n8n generates for usableAsTool nodes (type `…Tool`). */
export function runsAsAiTool(ctx: HyperIdContext): boolean {
	return ctx.getNode().type.endsWith('Tool');
}

/** Why a mapped refresh token is refused for a tool item, or undefined outside a tool. */
export function refreshAsToolRefusal(ctx: HyperIdContext): { message: string; description: string } | undefined {
	if (!runsAsAiTool(ctx)) return undefined;
	return {
		message: 'Refresh Token cannot be used when the node is an AI tool',
		description:
			"Renewed tokens would go into the tool's answer, which n8n hands to the model, and never to your token store: the user would be signed out. Renew the user's tokens in a workflow step before the agent (HyperID Sign-In > Refresh, or this node as a regular step), map only Access Token here and leave Refresh Token empty. Nothing was sent for this item.",
	};
}
